/*
 * file.h - opening the files the engine reads whole: job files, rule
 * files, rule test files.
 *
 * Those paths come from analysts and operators. A FIFO, a directory or a
 * device given by mistake must be refused with a message, never read:
 * fopen() on a FIFO blocks until some writer appears (forever, for
 * `recon check`), and a character device can be endless. So the open does
 * not block (O_NONBLOCK) and fstat() decides before a byte is read.
 */
#ifndef RECON_FILE_H
#define RECON_FILE_H

#include <stdio.h>

/*
 * Open path for reading, if it is a regular file. Returns the stream
 * (owned by the caller, who fcloses it), or NULL:
 * - *kind set ("a FIFO", "a directory", "a character device", "a block
 *   device", "a socket", "a special file") when path exists but is not a
 *   regular file; nothing was read from it;
 * - *kind NULL and errno set when it cannot be opened (ENOENT, EACCES...).
 * Allocates nothing but the stream.
 */
FILE *file_open_regular(const char *path, const char **kind);

#endif
