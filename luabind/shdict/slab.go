package shdict

// slab models nginx's slab allocator (src/core/ngx_slab.c) closely enough that capacity,
// free_space, "no memory" and eviction behave as they do in a lua_shared_dict zone of the same
// size: 4 KiB pages; requests up to half a page are rounded up to a power of two (at least 8
// bytes) and carved from pages dedicated to that size; larger requests take whole pages. A
// small-object page returns to the free pool when its last slot is freed, as in nginx.
//
// Not modelled: large allocations in nginx need contiguous free pages, so fragmentation can make
// nginx fail an allocation this model grants.
type slab struct {
	totalPages int
	freePages  int
	partial    [pageShift + 1]*slabPage // per shift: pages with at least one free slot
}

const (
	pageShift = 12
	pageSize  = 1 << pageShift
	maxSmall  = pageSize / 2
	minShift  = 3

	// slabPoolHeader approximates sizeof(ngx_slab_pool_t) plus the per-size slot and stats
	// arrays that ngx_slab_init puts before the page descriptors (x86-64).
	slabPoolHeader = 200 + (pageShift-minShift)*(24+32)
	slabPageDesc   = 24 // sizeof(ngx_slab_page_t)
)

// slabPage is one page of small objects of size 1<<shift.
type slabPage struct {
	shift      uint8
	used, cap  int
	prev, next *slabPage // partial list links
	inPartial  bool
}

// slabRef records where an allocation came from so it can be freed.
type slabRef struct {
	page  *slabPage // small allocation
	pages int32     // large allocation: whole pages
}

// newSlab lays out a zone of size bytes the way ngx_slab_init does.
func newSlab(size int64) *slab {
	avail := size - slabPoolHeader
	pages := int64(0)
	if avail > 0 {
		pages = avail / (pageSize + slabPageDesc)
	}
	start := (slabPoolHeader + pages*slabPageDesc + pageSize - 1) &^ (pageSize - 1)
	if fit := (size - start) / pageSize; fit < pages {
		pages = fit
	}
	if pages < 0 {
		pages = 0
	}
	return &slab{totalPages: int(pages), freePages: int(pages)}
}

// shiftFor returns the slot shift for a small request of n bytes.
func shiftFor(n int) uint8 {
	if n <= 1<<minShift {
		return minShift
	}
	s := uint8(1)
	for v := n - 1; v>>1 != 0; v >>= 1 {
		s++
	}
	return s
}

// slotsPerPage is how many slots of 1<<shift a page offers; for slots smaller than 64 bytes
// nginx keeps the page's bitmap in its first slots.
func slotsPerPage(shift uint8) int {
	n := pageSize >> shift
	if shift < 6 {
		bitmapBytes := n / 8
		n -= (bitmapBytes + (1 << shift) - 1) >> shift
	}
	return n
}

// alloc reserves n bytes; ok is false when the zone has no room ("no memory").
func (s *slab) alloc(n int) (slabRef, bool) {
	if n > maxSmall {
		pages := (n + pageSize - 1) >> pageShift
		if pages > s.freePages {
			return slabRef{}, false
		}
		s.freePages -= pages
		return slabRef{pages: int32(pages)}, true
	}
	shift := shiftFor(n)
	p := s.partial[shift]
	if p == nil {
		if s.freePages == 0 {
			return slabRef{}, false
		}
		s.freePages--
		p = &slabPage{shift: shift, cap: slotsPerPage(shift)}
		s.pushPartial(p)
	}
	p.used++
	if p.used == p.cap {
		s.removePartial(p)
	}
	return slabRef{page: p}, true
}

// free releases an allocation made by alloc.
func (s *slab) free(r slabRef) {
	if r.page == nil {
		s.freePages += int(r.pages)
		return
	}
	p := r.page
	p.used--
	if p.used == 0 {
		if p.inPartial {
			s.removePartial(p)
		}
		s.freePages++
		return
	}
	if !p.inPartial {
		s.pushPartial(p)
	}
}

func (s *slab) pushPartial(p *slabPage) {
	head := s.partial[p.shift]
	p.prev, p.next, p.inPartial = nil, head, true
	if head != nil {
		head.prev = p
	}
	s.partial[p.shift] = p
}

func (s *slab) removePartial(p *slabPage) {
	if p.prev != nil {
		p.prev.next = p.next
	} else {
		s.partial[p.shift] = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	}
	p.prev, p.next, p.inPartial = nil, nil, false
}

// reset frees everything.
func (s *slab) reset() {
	s.freePages = s.totalPages
	s.partial = [pageShift + 1]*slabPage{}
}
