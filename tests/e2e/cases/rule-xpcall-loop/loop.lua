-- An xpcall whose message handler never ends, at the top level of a rule
-- file: `recon check` must stop it with the instruction limit (exit 3,
-- file:line). Lua's own xpcall ran the handler where no limit applies,
-- so this hung.
local function forever() while true do end end

xpcall(error, forever)
