#!/bin/sh
# etc/hooks/notify.sh - a sample recon hook (docs/JOBS.md, "Hooks").
#
# Name it in a job:
#   <hooks>
#     <on-failure program="../etc/hooks/notify.sh" timeout="30s"/>
#     <on-exceptions above="100" program="../etc/hooks/notify.sh"/>
#   </hooks>
#
# It prints one line about the run (recon logs it, prefixed "hook
# on-failure: "), and when RECON_NOTIFY_MAIL names an address it mails
# that line as the subject and the run's JSON summary as the body with
# mail(1). A chat webhook would post "$line" the same way, e.g. with
# curl --data-binary @"$RECON_SUMMARY" URL. A non-zero exit is logged by
# recon and changes nothing else.
set -u

line="recon: job '$RECON_JOB' run ${RECON_RUN_ID:-?} (as of ${RECON_AS_OF:-?}, $RECON_MODE): $RECON_HOOK, exit $RECON_EXIT_CODE ($RECON_EXIT_NAME), $RECON_EXCEPTIONS exceptions"
echo "$line"

if [ -n "${RECON_NOTIFY_MAIL:-}" ]; then
	if ! command -v mail >/dev/null 2>&1; then
		echo "notify.sh: RECON_NOTIFY_MAIL is set but there is no mail command" >&2
		exit 1
	fi
	mail -s "$line" "$RECON_NOTIFY_MAIL" <"$RECON_SUMMARY"
fi
