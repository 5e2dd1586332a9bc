rule("same", function(o) end)
rule("same", function(o) end)
