// The `switchboard` command line: one function per command. Each returns the
// process exit code; results go to standard output, errors to standard error.
#ifndef SWITCHBOARD_SERVER_CLI_H_
#define SWITCHBOARD_SERVER_CLI_H_

#include <string>
#include <vector>

namespace switchboard {
namespace cli {

// Exit codes shared by the commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

int Check(const std::vector<std::string>& args);
int Test(const std::vector<std::string>& args);
int Eval(const std::vector<std::string>& args);
int Send(const std::vector<std::string>& args);
int Serve(const std::vector<std::string>& args);
int Replay(const std::vector<std::string>& args);

}  // namespace cli
}  // namespace switchboard

#endif  // SWITCHBOARD_SERVER_CLI_H_
