package shdict

import (
	"fmt"
	"sync"
)

// minSize is the smallest size lua_shared_dict accepts (nginx rejects sizes <= 8191).
const minSize = 8192

// Registry holds the process's dicts, the explicit registry that replaces nginx's shared
// memory zones: no package globals. It is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	dicts map[string]*Dict
	order []string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{dicts: make(map[string]*Dict)}
}

// Add declares a dict of size bytes, as `lua_shared_dict name size` does; the errors are
// nginx's own words for the same mistakes.
func (r *Registry) Add(name string, size int64) error {
	if name == "" {
		return fmt.Errorf(`invalid lua shared dict name "%s"`, name)
	}
	if size < minSize {
		return fmt.Errorf(`invalid lua shared dict size "%d"`, size)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.dicts[name]; old != nil {
		if old.size != size {
			return fmt.Errorf(`the size %d of shared memory zone "%s" conflicts with already declared size %d`, size, name, old.size)
		}
		return fmt.Errorf(`lua_shared_dict "%s" is already defined as "%s"`, name, old.name)
	}
	r.dicts[name] = newDict(name, size)
	r.order = append(r.order, name)
	return nil
}

// Get returns the dict called name, or nil.
func (r *Registry) Get(name string) *Dict {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.dicts[name]
}

// Names returns the dicts' names in the order they were added.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]string(nil), r.order...)
}

// Inherit replaces each of r's zones that prev has with the same size by prev's, contents
// and all: a reload keeps the zones whose name and size did not change, as nginx does.
func (r *Registry) Inherit(prev *Registry) {
	if prev == nil {
		return
	}
	prev.mu.RLock()
	defer prev.mu.RUnlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, d := range r.dicts {
		if old := prev.dicts[name]; old != nil && old.size == d.size {
			r.dicts[name] = old
		}
	}
}
