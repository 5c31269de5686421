// Templates: literal text with {{ expression }} parts, parsed once at load time.
//
//   {{ data.object.text | truncate(40) | default("(no text)") }}
//
// An expression is a path into the template context, then optional filters.
// Context roots: the event document (any other root: id, type, data, ...),
// `facts`, `vars`, `captures`, `rule` (rule.id), `now`, `env` (env.NAME).
// A missing path renders as the empty string.
#ifndef SWITCHBOARD_SRC_TEMPLATE_H_
#define SWITCHBOARD_SRC_TEMPLATE_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "switchboard/event.h"
#include "switchboard/status.h"
#include "switchboard/value.h"

namespace switchboard {

using Captures = std::vector<std::pair<std::string, std::string>>;

// What a template is rendered against. Every pointer may be null (the root then
// renders as missing).
struct TemplateContext {
  const Event* event = nullptr;
  const Value* vars = nullptr;  // an object
  const Captures* captures = nullptr;
  std::string_view rule_id;
  std::string_view rule_description;
  std::string_view now;  // ISO 8601 UTC
};

class Template {
 public:
  // kUrl: the text of each expression is percent-encoded (RFC 3986 unreserved
  // characters kept) unless its last filter is already `urlencode`.
  enum class Mode { kText, kUrl };

  // A path an expression reads, as written, with its byte offset in the text:
  // load-time checks use these (unknown facts, undefined vars, ...).
  struct Reference {
    std::string root;  // "facts", "vars", "captures", "rule", "now", "env", or an event key
    std::string rest;  // the path after the root ("contact", "object.text"), may be ""
    size_t offset = 0;
  };

  // Parses `text`. On error, the Status message says what is wrong (unknown
  // filter with a suggestion, unclosed "{{", bad filter argument, ...) and
  // *error_offset is the byte offset in `text` where it was found.
  static Result<Template> Parse(std::string_view text, Mode mode = Mode::kText,
                                size_t* error_offset = nullptr);

  // An error of ParseAll: what is wrong, at byte `offset` of the text.
  struct Error {
    size_t offset = 0;
    std::string message;
  };
  // Parses like Parse, but goes on past errors that leave the syntax intact (an
  // unknown filter, wrong filter arguments) so that all of them are found; a
  // syntax error (unclosed "{{", an unterminated string, ...) makes the rest
  // unreadable and is the last one. Appends the errors to *errors in the order
  // found. With errors the result must not be rendered; its references() are
  // those of the expressions read, for further checks.
  static Template ParseAll(std::string_view text, Mode mode, std::vector<Error>* errors);

  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  Template(const Template&);
  Template& operator=(const Template&);
  ~Template();

  // True when the text has no expression.
  bool is_literal() const;
  const std::string& text() const;
  // Byte offset of the first "{{", or std::string::npos.
  size_t first_expression_offset() const;
  const std::vector<Reference>& references() const;

  // Renders; never fails (missing paths render as "").
  std::string Render(const TemplateContext& context) const;
  // Renders into *out, replacing its text and keeping its capacity.
  void RenderTo(const TemplateContext& context, std::string* out) const;

  // Renders every `vars` expression against `vars` once, now, and keeps the
  // text in place of the expression: a rule set's vars never change, so its
  // templates need not look them up per event. Render must then be given the
  // same vars (or none of its vars expressions would read them).
  void BindVars(const Value& vars);

 private:
  friend std::string UrlTemplateProblem(const Template& url, const std::string& what);
  struct Rep;
  Template();
  std::unique_ptr<Rep> rep_;
};

// The value of `env.NAME` is read with getenv at render time. Secrets that reach
// logs are masked by the caller, not here.

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view s);

// Why `url`, a kUrl template, cannot be sent where it points, or "" when it can:
// its scheme (http or https) and host must be literal text, so that no rendered
// value chooses where a request goes (SPEC 3). The message starts with `what`
// ("parameter 'url'"), which names the URL.
std::string UrlTemplateProblem(const Template& url, const std::string& what);

}  // namespace switchboard

#endif  // SWITCHBOARD_SRC_TEMPLATE_H_
