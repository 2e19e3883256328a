// A program outside the project that embeds libsealexec: it runs the program
// named by argv[1] from sealed memory and exits with its status.
#include <sealexec/exec/spawn.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 2) {
    return 2;
  }
  auto image = sealexec::SealedImage::from_path(argv[1]);
  if (!image) {
    std::fprintf(stderr, "%s\n", image.error().message().c_str());
    return 125;
  }
  sealexec::SpawnOptions options;
  options.argv = {"embedded", "from-consumer"};
  auto child = sealexec::spawn(*image, options);
  if (!child) {
    std::fprintf(stderr, "%s\n", child.error().message().c_str());
    return 125;
  }
  return child->wait()->shell_code();
}
