-- Not a *_test.lua file: never loaded (it would not even parse).
this is not lua
