-- An xpcall handler that loops, at the top level of a rule file.
xpcall(error, function() while true do end end)
