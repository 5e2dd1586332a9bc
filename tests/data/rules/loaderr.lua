-- A runtime error while loading, on line 2.
local x = nil + 1
