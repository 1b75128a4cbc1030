#!/usr/bin/env luajit
-- A handler file whose first line is "#!": luaL_loadfile skips that line (any first line
-- starting with "#") and line numbers still count it.
ngx.say("ran, line ", debug.getinfo(1, "l").currentline)
local ok, err = pcall(function() error("here") end)
ngx.say(ok, " ", (err:gsub("^[^:]*/", "")))
