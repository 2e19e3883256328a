// The command-line front end. main() only calls this.
#pragma once

namespace sealexec::cli {

// Parses `argv`, runs the subcommand and returns the process's exit code.
int main(int argc, char** argv);

} // namespace sealexec::cli
