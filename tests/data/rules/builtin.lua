-- A translate name that is a built-in under another name.
my_translate = tostring
function real(row, out)
  out.key = "K"
end
