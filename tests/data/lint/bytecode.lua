Lua: not source text (test_lint.c: the lint refuses it, as loading does)
