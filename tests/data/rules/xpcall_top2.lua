-- The same where the budget error itself reaches the handler.
xpcall(function() while true do end end, function() while true do end end)
