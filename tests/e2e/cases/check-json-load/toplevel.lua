-- Compiles and lints clean, but raises while its top level runs.
local LIMITS = {EUR = 10}
local limit = LIMITS.USD + 1
