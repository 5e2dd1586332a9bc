/*
 * file.h - opening the files the engine reads whole: job files, rule
 * files, rule test files; and the temporary files its writers leave
 * when they are killed.
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

/*
 * The temporary files the engine's writers make with mkstemp() carry the
 * writer's pid: HEAD TAIL PID "." and mkstemp's six characters (an
 * incremental state SOURCE.state.tmp.PID.XXXXXX, a run's inputs
 * .inputs.tmp.PID.XXXXXX). file_tmp_pid() is that pid when name has the
 * form, else 0; file_pid_gone() is 1 when pid is not this process and
 * no process of that pid exists (kill(pid, 0) says ESRCH; a live
 * process, even another user's, EPERM, may be writing its file now).
 * A killed writer's file may then be removed. State folders are local
 * to one host, so a pid names a process of this machine.
 */
long file_tmp_pid(const char *name, const char *head, const char *tail);
int file_pid_gone(long pid);

#endif
