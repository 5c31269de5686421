// A program's own action type: `crm.note` appends a note to an in-memory CRM.
// The engine checks rules that use it at load time (unknown or missing
// parameters are load errors) and runs it through Engine::Execute.
//   embed_custom_action examples/rules/custom_action.yaml examples/events/message-received.json
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/engine.h"

namespace {

// Stands in for a real CRM client.
class Crm {
 public:
  void AddNote(const std::string& contact, const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    notes_[contact].push_back(text);
  }
  std::map<std::string, std::vector<std::string>> notes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return notes_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::string>> notes_;
};

// One instance serves every rule and evaluation, so Execute must be
// thread-safe: the Crm locks.
class CrmNoteAction : public switchboard::ActionType {
 public:
  // A required template parameter (ParamSpec's default kind).
  static switchboard::ParamSpec Required(std::string name) {
    switchboard::ParamSpec spec;
    spec.name = std::move(name);
    spec.required = true;
    return spec;
  }

  explicit CrmNoteAction(Crm* crm) : crm_(crm) {}

  std::vector<switchboard::ParamSpec> params() const override {
    return {Required("contact"), Required("text")};
  }

  switchboard::Status CheckRendered(const switchboard::Value& rendered) const override {
    const switchboard::Value* contact = rendered.Find("contact");
    if (contact == nullptr || contact->ToText().empty()) {
      return switchboard::Status::InvalidArgument("crm.note: empty contact");
    }
    return switchboard::Status::OK();
  }

  switchboard::Status Execute(const switchboard::FiredAction& action) const override {
    crm_->AddNote(action.params.Find("contact")->ToText(), action.params.Find("text")->ToText());
    return switchboard::Status::OK();
  }

 private:
  Crm* crm_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: embed_custom_action RULES EVENT.json\n";
    return 2;
  }
  Crm crm;
  auto engine = switchboard::Engine::Create();
  switchboard::Status registered =
      engine->RegisterAction("crm.note", std::make_shared<CrmNoteAction>(&crm));
  if (!registered.ok()) {
    std::cerr << registered.message() << "\n";
    return 1;
  }
  // Rules are loaded after the registration: the loader checks crm.note's parameters.
  switchboard::LoadResult loaded = engine->LoadFiles({argv[1]});
  if (!loaded.ok()) {
    std::cerr << loaded.FormatErrors() << "\n";
    return 1;
  }
  std::stringstream json;
  json << std::ifstream(argv[2]).rdbuf();
  auto event = switchboard::Event::Parse(json.str());
  if (!event.ok()) {
    std::cerr << argv[2] << ": " << event.status().message() << "\n";
    return 1;
  }
  for (const auto& fired : loaded.rules->Evaluate(*event).fired) {
    for (const auto& action : fired.actions) {
      switchboard::Status ran = engine->Execute(action);
      std::cout << fired.rule_id << ": " << action.type << " -> "
                << (ran.ok() ? "ok" : ran.message()) << "\n";
    }
  }
  for (const auto& [contact, notes] : crm.notes()) {
    for (const auto& note : notes) std::cout << "note for " << contact << ": " << note << "\n";
  }
  return 0;
}
