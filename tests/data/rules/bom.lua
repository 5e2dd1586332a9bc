-- Saved with a UTF-8 byte order mark, as some editors do.
function bom_ok(row, out)
  out.key = "K1"
end

function bom_line(row, out)
  error("raised on line 7")
end
