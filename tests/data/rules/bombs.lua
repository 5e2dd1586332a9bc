-- Translate functions that exhaust memory, the budget or the stack.
function ok(row, out)
  out.key = "K" .. row.id
end

function membomb(row, out)
  local t = {}
  for i = 1, 1e9 do
    t[i] = string.rep("x", 100) .. i
  end
end

function strbomb(row, out)
  local s = "x"
  while true do s = s .. s end
end

function loop(row, out)
  while true do end
end

function pcall_loop(row, out)
  while true do pcall(function() while true do end end) end
end

function pcall_nested(row, out)
  while true do pcall(pcall, pcall, function() while true do end end) end
end

function recurse(row, out)
  local function f(n) return 1 + f(n + 1) end
  return f(1)
end

function error_table(row, out)
  error({})
end

function error_level0(row, out)
  error("no position", 0)
end
