package server

import (
	"time"

	"github.com/luaws/luaws/luabind/shdict"
	"github.com/luaws/luaws/ngxconf"
)

// Lifecycle is what FromNginx takes from outside the http{} block: the main level's
// worker_processes and, on a reload, the configuration being replaced.
type Lifecycle struct {
	// Workers is worker_processes (0: 1).
	Workers int
	// PrevDicts are the zones of the configuration being reloaded: a zone whose name and
	// size are unchanged keeps its contents, as nginx keeps such shared memory zones.
	PrevDicts *shdict.Registry
}

// lifecycleSettings are the http-level directives of the Lua lifecycle.
type lifecycleSettings struct {
	codeCacheOff bool // lua_code_cache off
}

// lifecycle reads an http-level directive of the Lua lifecycle (others are left alone).
func (b *builder) lifecycle(d *ngxconf.Directive) error {
	switch d.Name {
	case "lua_code_cache":
		on, err := onOff(d)
		if err != nil {
			return err
		}
		b.codeCacheOff = !on
	}
	return nil
}

// maxRunningTime reads lua_max_running_time (http, server or location level; the innermost
// applies to a location's Lua).
func maxRunningTime(d *ngxconf.Directive) (time.Duration, error) {
	if len(d.Args) != 1 {
		return 0, nargs(d)
	}
	t, err := ParseTime(d.Args[0])
	if err != nil || t <= 0 {
		return 0, emerg(d, "invalid value \"%s\" in \"%s\" directive", d.Args[0], d.Name)
	}
	return t, nil
}
