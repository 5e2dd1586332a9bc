# csv.awk - read an RFC 4180 CSV file (optional UTF-8 BOM, CRLF or LF
# record ends, quoted fields with "" escapes and line breaks inside) and
# print one line per record: the fields joined by the byte 0x1F, with a
# line break inside a field written as the two characters \n and a
# trailing CR of a record dropped. POSIX awk (mawk, gawk, busybox).
#
#   awk -f csv.awk FILE | awk -F "$(printf '\037')" '{ print $1 }'
BEGIN { US = "\037"; inq = 0; field = ""; rec = ""; nf = 0; first = 1 }
{
	line = $0
	if (first) {
		if (substr(line, 1, 3) == "\357\273\277")
			line = substr(line, 4)
		first = 0
	}
	n = length(line)
	for (i = 1; i <= n; i++) {
		c = substr(line, i, 1)
		if (inq) {
			if (c == "\"") {
				if (substr(line, i + 1, 1) == "\"") {
					field = field "\""
					i++
				} else {
					inq = 0
				}
			} else {
				field = field c
			}
		} else if (c == "\"") {
			inq = 1
		} else if (c == ",") {
			rec = (nf ? rec US : "") field
			nf++
			field = ""
		} else if (c == "\r" && i == n) {
			# the CR of a CRLF record end
		} else {
			field = field c
		}
	}
	if (inq) {
		field = field "\\n"
		next
	}
	print (nf ? rec US : "") field
	rec = ""; field = ""; nf = 0
}
END {
	if (inq) {
		print "csv.awk: unterminated quoted field at end of input" > "/dev/stderr"
		exit 1
	}
}
