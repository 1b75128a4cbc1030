-- ngx.timer.at: return value, premature flag and arguments, callbacks running after the
-- creating code yields, pending and running counts. A shared dict carries the callback's view.
-- @shared_dict timers 1m
local dict = ngx.shared.timers
dict:flush_all()
local ok, err = ngx.timer.at(0, function(premature, a, b)
    dict:set("cb", table.concat({ tostring(premature), a, tostring(b), ngx.get_phase() }, " "))
end, "x", 2)
ngx.say("at: ", tostring(ok), " ", tostring(err))
ngx.say("pending before yielding: ", ngx.timer.pending_count(), " ran: ", tostring(dict:get("cb")))
ngx.sleep(0.1)
ngx.say("after sleep: ", dict:get("cb"), " pending: ", ngx.timer.pending_count())
ngx.say("every(0): ", tostring(select(2, pcall(ngx.timer.every, 0, function() end))))
