#include "sealexec/cli/cli.h"

int main(int argc, char** argv) { return sealexec::cli::main(argc, argv); }
