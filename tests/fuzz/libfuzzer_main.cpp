// The libFuzzer entry point of a fuzz target (built with -Dfuzz=true).
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_one(data, size);
}
