-- The rule boundary (test_rules.c, tcase "boundary"): what a rule hands
-- the engine must be text it can keep exactly, times it can format, and
-- messages of bounded size. Line numbers are asserted: add at the end.

-- out[row.field] = row.value, after a valid key.
function set_field(row, out)
  out.key = "K"
  out[row.field] = row.value
end

-- Text made in Lua, not read from the source.
function nul_key(row, out)
  out.key = "A\0B"
end

function bad_utf8(row, out)
  out.key = "K"
  out.name = "caf\xe9"
end

-- out.time from an integer the row gives.
function set_time(row, out)
  out.key = "K"
  out.time = row.t
end

function time_extremes(row, out)
  out.key = "K"
  if row.which == "min" then
    out.time = math.mininteger
  else
    out.time = math.maxinteger
  end
end

-- A rule error whose text has a NUL and a byte that is not UTF-8.
function raise_dirty(row, out)
  error("bad \0 value \xff here")
end

rule("boundary", function(o)
  if o.key == "NUL" then
    return fail("X_NUL", "a\0b")
  elseif o.key == "BAD" then
    return fail("X_BAD", "ok \xc3\x28 not")
  elseif o.key == "LONG" then
    return fail("X_LONG", "a" .. string.rep("\xc3\xa9", 35000))
  elseif o.key == "EXACT" then
    return fail("X_EXACT", string.rep("b", 4096))
  elseif o.key == "ERR" then
    error("x" .. string.rep("\0", 3000))
  end
  return nil
end)

-- The same with level 0, so the message has no position of its own: the
-- engine adds file:line and keeps what follows the NUL.
function raise_dirty_nolevel(row, out)
  error("bad \0 value", 0)
end
