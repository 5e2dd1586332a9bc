/*
 * replay.c - run a fuzz target over files (the corpus) without libFuzzer.
 * usage: replay-TARGET FILE...
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

int main(int argc, char **argv)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		unsigned char *buf;
		long size;

		if (!f) {
			perror(argv[i]);
			return 2;
		}
		if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) != 0) {
			perror(argv[i]);
			return 2;
		}
		buf = malloc((size_t)size + 1);
		if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
			perror(argv[i]);
			return 2;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t)size);
		free(buf);
		n++;
	}
	printf("replayed %d inputs\n", n);
	return 0;
}
