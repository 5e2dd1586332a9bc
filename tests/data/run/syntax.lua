function deal(row, out)
  out.key = 
end
