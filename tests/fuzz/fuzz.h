/*
 * fuzz.h - every fuzz target defines this libFuzzer entry point. Built
 * with clang -fsanitize=fuzzer by `make fuzz`, and with gcc + ASan/UBSan
 * against replay.c by `make check`, which replays the committed corpus
 * (including every crash ever found) so a fixed bug stays fixed.
 */
#ifndef RECON_FUZZ_H
#define RECON_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
