// switchboard: the command-line program and server.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"

namespace {

const char kUsage[] =
    "usage: switchboard <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve [--config FILE]                 run the webhook server\n"
    "  check PATH...                         validate rule files and directories\n"
    "  test PATH...                          run the rule files' inline tests\n"
    "  eval --rules PATH [--rules PATH...] --event FILE [--json] [--explain]\n"
    "       [--database FILE]                dry run of one event against the rules\n"
    "  send FILE --url URL [--key KEY]       sign an event like OpenPhone and post it\n"
    "  replay --database FILE --rules PATH [--rules PATH...] [--since T] [--until T]\n"
    "         [--json]\n"
    "                                        what stored events would fire under a rule set\n"
    "\n"
    "options:\n"
    "  --help       show help (also after a command: switchboard check --help)\n"
    "  --version    print the version\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace switchboard::cli;
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  std::string command = argv[1];
  // Every command takes "--option=value" as well as "--option value".
  std::vector<std::string> args;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    const size_t equals = a.find('=');
    if (a.rfind("--", 0) == 0 && equals != std::string::npos && equals > 2) {
      const std::string option = a.substr(0, equals);
      if (option == "--json" || option == "--explain" || option == "--help") {
        std::cerr << "switchboard " << command << ": " << option << " takes no value\n";
        // SPEC: send exits 1 on anything but a 2xx answer, usage errors included.
        return command == "send" ? kExitFailure : kExitUsage;
      }
      args.push_back(option);
      args.push_back(a.substr(equals + 1));
    } else {
      args.push_back(std::move(a));
    }
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (command == "--version" || command == "version") {
    std::cout << "switchboard " << SWITCHBOARD_VERSION << "\n";
    return kExitOk;
  }
  if (command == "check") return Check(args);
  if (command == "test") return Test(args);
  if (command == "eval") return Eval(args);
  if (command == "serve") return Serve(args);
  if (command == "send") return Send(args);
  if (command == "replay") return Replay(args);
  std::cerr << "switchboard: unknown command '" << command << "'\n\n" << kUsage;
  return kExitUsage;
}
