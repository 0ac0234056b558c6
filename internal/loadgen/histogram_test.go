package loadgen

import (
	"testing"
	"time"
)

func TestHistogramExactBelow256us(t *testing.T) {
	var h Histogram
	for v := uint64(1); v <= 100; v++ {
		h.RecordMicros(v)
	}
	us := time.Microsecond
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{
		{0, 1 * us}, {0.01, 1 * us}, {0.5, 50 * us}, {0.9, 90 * us}, {0.99, 99 * us}, {0.999, 100 * us}, {1, 100 * us},
	} {
		if got := h.Quantile(c.q); got != c.want {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if h.Count() != 100 || h.Min() != us || h.Max() != 100*us {
		t.Errorf("count %d min %v max %v", h.Count(), h.Min(), h.Max())
	}
	if h.Mean() != 50500*time.Nanosecond {
		t.Errorf("mean %v, want 50.5µs", h.Mean())
	}
}

func TestHistogramBucketsTileTheRange(t *testing.T) {
	next := uint64(0)
	for i := range histBuckets {
		lo, hi := bucketBounds(i)
		if lo != next {
			t.Fatalf("bucket %d starts at %d, want %d", i, lo, next)
		}
		if hi < lo {
			t.Fatalf("bucket %d: [%d, %d]", i, lo, hi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d: [%d, %d] maps to %d, %d", i, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		if width := hi - lo + 1; width > 1 && float64(width)/float64(lo) > 1.0/subN {
			t.Fatalf("bucket %d: [%d, %d] is wider than 1/%d of its values", i, lo, hi, subN)
		}
		next = hi + 1
	}
	if next-1 != maxTrackable {
		t.Fatalf("last bucket ends at %d, want %d", next-1, uint64(maxTrackable))
	}
}

func TestHistogramQuantilesWithinResolution(t *testing.T) {
	var h Histogram
	const n = 1_000_000
	for v := uint64(1); v <= n; v++ {
		h.Record(time.Duration(v) * time.Microsecond)
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := q * n // the ceil(q·n)-th value of 1..n
		got := float64(h.Quantile(q) / time.Microsecond)
		if got < exact || got > exact*(1+1.0/subN) {
			t.Errorf("Quantile(%v) = %vµs, want within [%v, %v]", q, got, exact, exact*(1+1.0/subN))
		}
	}
	if h.Max() != n*time.Microsecond || h.Quantile(1) != n*time.Microsecond {
		t.Errorf("max %v, p100 %v", h.Max(), h.Quantile(1))
	}
}

func TestHistogramQuantileKeptWithinMinMax(t *testing.T) {
	var h Histogram
	h.RecordMicros(1000) // bucket [1000, 1003]
	for _, q := range []float64{0, 0.5, 1} {
		if got := h.Quantile(q); got != 1000*time.Microsecond {
			t.Errorf("Quantile(%v) = %v, want 1ms", q, got)
		}
	}
}

func TestHistogramMerge(t *testing.T) {
	var a, b, all Histogram
	for v := range uint64(5000) {
		d := time.Duration(v*v) * time.Nanosecond
		all.Record(d)
		if v%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var merged Histogram
	merged.Merge(&Histogram{}) // merging nothing changes nothing
	merged.Merge(&a)
	merged.Merge(&b)
	if merged != all {
		t.Fatalf("merged histogram differs: count %d vs %d, min %v vs %v, max %v vs %v",
			merged.Count(), all.Count(), merged.Min(), all.Min(), merged.Max(), all.Max())
	}
}

func TestHistogramEdges(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Mean() != 0 || h.Min() != 0 || h.Max() != 0 {
		t.Error("an empty histogram should report zeros")
	}
	h.Record(-time.Second)
	h.Record(100 * 24 * time.Hour)
	if h.Min() != 0 {
		t.Errorf("negative duration recorded as %v, want 0", h.Min())
	}
	if h.Max() != maxTrackable*time.Microsecond {
		t.Errorf("huge duration recorded as %v, want the clamp %v", h.Max(), time.Duration(maxTrackable)*time.Microsecond)
	}
	if h.Count() != 2 {
		t.Errorf("count %d", h.Count())
	}
}

func TestHistogramRecordDoesNotAllocate(t *testing.T) {
	var h Histogram
	if n := testing.AllocsPerRun(100, func() { h.Record(1234 * time.Microsecond) }); n != 0 {
		t.Errorf("Record allocates %v times", n)
	}
}
