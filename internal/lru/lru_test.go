package lru

import (
	"sync"
	"testing"
)

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := New[string, int](2)
	c.Add("a", 1)
	c.Add("b", 2)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get(a) = %v, %v", v, ok)
	}
	c.Add("c", 3) // evicts b, the least recently used
	if _, ok := c.Get("b"); ok {
		t.Error("b survived although it was least recently used")
	}
	for k, want := range map[string]int{"a": 1, "c": 3} {
		if v, ok := c.Get(k); !ok || v != want {
			t.Errorf("Get(%s) = %v, %v; want %d", k, v, ok, want)
		}
	}
	c.Add("a", 10)
	if v, _ := c.Get("a"); v != 10 || c.Len() != 2 {
		t.Errorf("replacing a: value %d, len %d", v, c.Len())
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New[int, int](100)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				c.Add(g*1000+i, i)
				if v, ok := c.Get(g*1000 + i); ok && v != i {
					t.Errorf("Get = %d, want %d", v, i)
				}
			}
		})
	}
	wg.Wait()
	if c.Len() != 100 {
		t.Fatalf("len %d, want the capacity 100", c.Len())
	}
}
