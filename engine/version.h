/*
 * version.h - the release number, one place for the binary (recon
 * --version) and the reports' summaries that name it.
 *
 * The formats recon reads and writes have their names beside the code
 * that writes them (LEDGER_FORMAT, ROWFP_FORMAT, INCR_FORMAT, JOB_NS,
 * VERIFY_DIGEST_FORMAT); `recon --version` prints them all.
 */
#ifndef RECON_VERSION_H
#define RECON_VERSION_H

#define RECON_VERSION "0.1.0"

#endif
