-- A rule name the engine could not keep: refused while loading.
rule("na\0me", function(o) end)
