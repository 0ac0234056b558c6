package loadgen

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records latencies in microseconds in log-linear buckets, the
// layout of HdrHistogram: values below 256 µs are exact, and above that
// every power of two is split into 128 equal buckets, so a reported value
// is at most 1/128 (0.8%) above the true one. Values above about 12 days
// are clamped. Recording is one array increment and never allocates.
//
// A Histogram is not safe for concurrent use: give each worker its own and
// [Histogram.Merge] them.
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    uint64 // µs
	min    uint64 // µs, valid when n > 0
	max    uint64 // µs
}

const (
	subBits = 7
	subN    = 1 << subBits // buckets per power of two
	// maxTrackable is the largest value a histogram distinguishes (µs).
	maxTrackable = 1<<40 - 1
	histBuckets  = subN*(40-subBits) + subN
)

// bucketOf is the index of the bucket holding v (µs).
func bucketOf(v uint64) int {
	if v < 2*subN {
		return int(v)
	}
	shift := bits.Len64(v) - (subBits + 1)
	return subN*shift + int(v>>shift)
}

// bucketBounds are the smallest and largest values bucket i holds.
func bucketBounds(i int) (lo, hi uint64) {
	if i < 2*subN {
		return uint64(i), uint64(i)
	}
	shift := i/subN - 1
	top := uint64(i - subN*shift)
	return top << shift, (top+1)<<shift - 1
}

// Record adds one latency. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d / time.Microsecond)
	}
	h.RecordMicros(v)
}

// RecordMicros adds one latency of v microseconds.
func (h *Histogram) RecordMicros(v uint64) {
	if v > maxTrackable {
		v = maxTrackable
	}
	h.counts[bucketOf(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += v
}

// Merge adds every value recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest value recorded, exactly.
func (h *Histogram) Max() time.Duration { return micros(h.max) }

// Min is the smallest value recorded, exactly.
func (h *Histogram) Min() time.Duration {
	if h.n == 0 {
		return 0
	}
	return micros(h.min)
}

// Mean is the average of the values recorded.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(float64(h.sum) / float64(h.n) * float64(time.Microsecond))
}

// Quantile returns the value below or at which a fraction q (0..1) of the
// recorded values lie: the largest value of the bucket holding the
// ceil(q·n)-th smallest value, kept within [Min, Max]. It is 0 when
// nothing was recorded.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketBounds(i)
			return micros(min(max(hi, h.min), h.max))
		}
	}
	return micros(h.max)
}

func micros(v uint64) time.Duration { return time.Duration(v) * time.Microsecond }
