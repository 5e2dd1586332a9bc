/*
 * fuzz_job.c - job_load on any bytes (written to a temporary file, as
 * job_load reads files): loads or fails with ERR_JOB/ERR_NOMEM, never
 * crashes, never leaks, never prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "engine/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/recon-fuzz-job-XXXXXX";
	int fd = mkstemp(path);
	struct job *job = NULL;
	struct error err;

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	error_init(&err);
	if (job_load(path, &job, &err) == 0)
		job_free(job);
	else if (err.code != ERR_JOB && err.code != ERR_NOMEM)
		abort();
	error_release(&err);
	unlink(path);
	return 0;
}
