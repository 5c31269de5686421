#include "switchboard/engine.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "builtin_actions.h"
#include "loader.h"
#include "user_code.h"

namespace switchboard {

namespace fs = std::filesystem;

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
  rep_->actions[std::move(name)] = std::move(type);
  return Status::OK();
}

namespace {

bool IsRuleFile(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

}  // namespace

LoadResult Engine::LoadFiles(const std::vector<std::string>& paths,
                             const LoadOptions& options) const {
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
        if (it->is_regular_file(ec) && IsRuleFile(it->path())) {
          found.push_back(it->path().string());
        }
      }
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
    } else {
      errors.push_back({path, 0, 0, "", "no such file or directory", ""});
    }
  }
  // SPEC: files load in name order, whichever paths named them; a file named
  // twice (itself and through its directory) loads once.
  std::sort(files.begin(), files.end());
  std::set<fs::path> seen;
  std::vector<RuleSource> sources;
  for (const std::string& file : files) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(file, ec);
    if (!seen.insert(ec ? fs::path(file) : canonical).second) continue;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      errors.push_back({file, 0, 0, "", "cannot read the file", ""});
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    sources.push_back({file, text.str()});
  }
  return LoadRuleSources(sources, rep_->actions, options, std::move(errors));
}

LoadResult Engine::LoadString(std::string_view yaml, std::string_view file_name,
                              const LoadOptions& options) const {
  return LoadRuleSources({{std::string(file_name), std::string(yaml)}}, rep_->actions, options);
}

Status Engine::Execute(const FiredAction& action) const {
  auto it = rep_->actions.find(action.type);
  if (it == rep_->actions.end()) {
    return Status::NotFound("unknown action type '" + std::string(action.type) + "'");
  }
  if (!action.error.empty()) return Status::InvalidArgument(action.error);
  return CallUserCode([&] { return it->second->Execute(action); });
}

}  // namespace switchboard
