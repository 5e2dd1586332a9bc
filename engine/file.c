/*
 * file.c - opening the files the engine reads whole, and the writers'
 * temporary files (file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "banned.h"

/* What a stat mode that is not a regular file is, for a message. */
static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "a special file";
}

FILE *file_open_regular(const char *path, const char **kind)
{
	struct stat st;
	FILE *f;
	int fd, e, fl;

	*kind = NULL;
	/* O_NONBLOCK: opening a FIFO for reading returns at once instead of
	 * waiting for a writer; O_NOCTTY: a terminal never becomes ours. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		/* A socket cannot be opened at all (ENXIO): still say what
		 * it is rather than "No such device or address". */
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			*kind = kind_of(st.st_mode);
		errno = e;
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*kind = kind_of(st.st_mode);
		close(fd);
		return NULL;
	}
	/* A regular file: back to ordinary blocking reads. */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    !(f = fdopen(fd, "rb"))) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	return f;
}

long file_tmp_pid(const char *name, const char *head, const char *tail)
{
	size_t hl = strlen(head), tl = strlen(tail);
	const char *p;
	char *end;
	long pid;

	if (strncmp(name, head, hl) != 0 || strncmp(name + hl, tail, tl) != 0)
		return 0;
	p = name + hl + tl;
	if (*p < '1' || *p > '9')
		return 0;
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno || *end != '.' || strlen(end + 1) != 6 || pid <= 0)
		return 0;
	return pid;
}

int file_pid_gone(long pid)
{
	if (pid <= 0 || pid == (long)getpid())
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}
