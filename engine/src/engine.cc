#include "switchboard/engine.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "builtin_actions.h"
#include "loader.h"
#include "read_file.h"
#include "template.h"
#include "timeutil.h"
#include "user_code.h"

namespace switchboard {

namespace fs = std::filesystem;

namespace {

// A ParamSpec's default is used as if written in every rule that leaves the
// parameter out, so it must be valid for the parameter's kind.
// A reference that no rule file could load (an unknown fact, rule.x, ...),
// checked as the loader checks it; what depends on the rule file (vars,
// captures) is checked where it loads.
Status CheckReferences(const Template& t) {
  for (const Template::Reference& ref : t.references()) {
    std::string problem = ContextReferenceProblem(ref);
    if (!problem.empty()) return Status::InvalidArgument(problem);
  }
  return Status::OK();
}

Status CheckDefault(const ParamSpec& spec) {
  using Kind = ParamSpec::Kind;
  const std::string& value = spec.default_value;
  if (value.empty()) return Status::OK();
  switch (spec.kind) {
    case Kind::kTemplate:
    case Kind::kAny: {
      auto t = Template::Parse(value);
      return t.ok() ? CheckReferences(*t) : t.status();
    }
    case Kind::kUrl: {
      // Checked as the loader checks a url written in a rule.
      auto t = Template::Parse(value, Template::Mode::kUrl);
      if (!t.ok()) return t.status();
      std::string problem = UrlTemplateProblem(*t, "'" + value + "'");
      return problem.empty() ? CheckReferences(*t) : Status::InvalidArgument(problem);
    }
    case Kind::kLiteral:
    case Kind::kPath:
      return value.find("{{") == std::string::npos
                 ? Status::OK()
                 : Status::InvalidArgument("a literal parameter cannot be a template");
    case Kind::kDuration: {
      auto d = ParseDuration(value);
      return d.ok() ? Status::OK() : d.status();
    }
    case Kind::kTemplateMap:
    case Kind::kIntList:
      return Status::InvalidArgument("a mapping or list parameter has no default; leave it empty");
  }
  return Status::OK();
}

}  // namespace

struct Engine::Rep {
  ActionRegistry actions = BuiltinActionTypes();
};

std::string Diagnostic::Headline() const {
  std::string out = file.empty() ? "<input>" : file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  out += ": ";
  if (!item.empty()) out += item + ": ";
  out += message;
  return out;
}

std::string Diagnostic::ToString() const {
  return snippet.empty() ? Headline() : Headline() + "\n" + snippet;
}

std::string LoadResult::FormatErrors() const {
  std::string out;
  for (const Diagnostic& d : errors) {
    out += d.ToString();
    out += "\n";
  }
  return out;
}

Engine::Engine() : rep_(std::make_unique<Rep>()) {}
Engine::~Engine() = default;

std::unique_ptr<Engine> Engine::Create() { return std::unique_ptr<Engine>(new Engine()); }

Status Engine::RegisterAction(std::string name, std::shared_ptr<const ActionType> type) {
  if (name.empty() || name.find_first_of(" \t\n:{}[]") != std::string::npos) {
    return Status::InvalidArgument("invalid action type name '" + name + "'");
  }
  if (type == nullptr) return Status::InvalidArgument("action type '" + name + "' is null");
  std::vector<ParamSpec> specs;
  Status listed = CallUserCode([&] {
    specs = type->params();
    return Status::OK();
  });
  if (!listed.ok()) {
    return Status::InvalidArgument("action type '" + name +
                                   "': cannot list the parameters: " + listed.message());
  }
  std::set<std::string> names;
  for (const ParamSpec& spec : specs) {
    if (spec.name.empty() || !names.insert(spec.name).second) {
      return Status::InvalidArgument("action type '" + name + "': parameter name '" + spec.name +
                                     "' is empty or listed twice");
    }
    if (static_cast<int>(spec.kind) < static_cast<int>(ParamSpec::Kind::kTemplate) ||
        static_cast<int>(spec.kind) > static_cast<int>(ParamSpec::Kind::kPath)) {  // the last
      return Status::InvalidArgument("action type '" + name + "' parameter '" + spec.name +
                                     "': unknown kind " +
                                     std::to_string(static_cast<int>(spec.kind)));
    }
    Status valid = CheckDefault(spec);
    if (!valid.ok()) {
      return Status::InvalidArgument("action type '" + name + "' parameter '" + spec.name +
                                     "': invalid default_value: " + valid.message());
    }
  }
  rep_->actions[std::move(name)] = std::move(type);
  return Status::OK();
}

namespace {

bool IsRuleFile(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

// No exception crosses the API: a load that runs out of memory (or meets an
// exception nothing else caught) fails with it as its one error.
template <typename Load>
LoadResult Guarded(std::string_view file_name, Load&& load) {
  std::string message;
  try {
    return load();
  } catch (const std::bad_alloc&) {
    message = "out of memory while loading the rules";
  } catch (const std::exception& e) {
    message = std::string("internal error while loading the rules: ") + e.what();
  } catch (...) {
    message = "internal error while loading the rules";
  }
  LoadResult failed;
  failed.errors.push_back({std::string(file_name), 0, 0, "", message, ""});
  return failed;
}

LoadResult LoadPaths(const std::vector<std::string>& paths, const ActionRegistry& actions,
                     const LoadOptions& options) {
  std::vector<std::string> files;
  std::vector<Diagnostic> errors;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      fs::directory_iterator it(path, ec);
      if (ec) {
        errors.push_back({path, 0, 0, "", "cannot read the directory: " + ec.message(), ""});
        continue;
      }
      for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (!IsRuleFile(it->path())) continue;
        // Regular files load. A symbolic link whose target is gone (or that
        // loops) loads too, to fail with its reason: skipped, the rules it
        // stood for would vanish without a word.
        std::error_code status_ec;
        const fs::file_status status = it->status(status_ec);
        if (fs::is_regular_file(status) || status.type() == fs::file_type::not_found || status_ec) {
          found.push_back(it->path().string());
        }
      }
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
    } else {
      // exists() fails without an error for a missing file, and with one for
      // a path it cannot look at (a symbolic link loop, a directory it may not enter).
      errors.push_back(
          {path, 0, 0, "", ec ? "cannot read: " + ec.message() : "no such file or directory", ""});
    }
  }
  // SPEC: files load in name order, whichever paths named them and however
  // they were spelt (`rules/a.yaml`, `./rules/a.yaml`, `/srv/rules/a.yaml`): the
  // order of their absolute paths, without resolving links. A file named
  // twice (itself and through its directory) loads once.
  std::vector<std::pair<std::string, std::string>> ordered;  // absolute, as named
  ordered.reserve(files.size());
  for (std::string& file : files) {
    std::error_code ec;
    fs::path absolute = fs::absolute(file, ec);
    ordered.emplace_back(ec ? file : absolute.lexically_normal().string(), std::move(file));
  }
  std::sort(ordered.begin(), ordered.end());
  files.clear();
  for (auto& [absolute, file] : ordered) files.push_back(std::move(file));
  std::set<fs::path> seen;
  std::vector<RuleSource> sources;
  for (const std::string& file : files) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(file, ec);
    if (!seen.insert(ec ? fs::path(file) : canonical).second) continue;
    std::string text;
    std::string error;
    if (!ReadWholeFile(file, &text, &error)) {
      errors.push_back({file, 0, 0, "", "cannot read the file: " + error, ""});
      continue;
    }
    sources.push_back({file, std::move(text)});
  }
  return LoadRuleSources(sources, actions, options, std::move(errors));
}

}  // namespace

LoadResult Engine::LoadFiles(const std::vector<std::string>& paths,
                             const LoadOptions& options) const {
  return Guarded(paths.empty() ? "" : paths.front(),
                 [&] { return LoadPaths(paths, rep_->actions, options); });
}

LoadResult Engine::LoadString(std::string_view yaml, std::string_view file_name,
                              const LoadOptions& options) const {
  return Guarded(file_name, [&] {
    return LoadRuleSources({{std::string(file_name), std::string(yaml)}}, rep_->actions, options);
  });
}

Status Engine::Execute(const FiredAction& action) const {
  const ActionType* type = action.impl;
  if (type == nullptr) {  // built by the caller, not by an evaluation
    auto it = rep_->actions.find(action.type);
    if (it == rep_->actions.end()) {
      return Status::NotFound("unknown action type '" + std::string(action.type) + "'");
    }
    type = it->second.get();
  }
  if (!action.error.empty()) return Status::InvalidArgument(action.error);
  return CallUserCode([&] { return type->Execute(action); });
}

}  // namespace switchboard
