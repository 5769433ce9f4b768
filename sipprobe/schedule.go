package sipprobe

import "deskwatch/internal/probegrid"

// phaseOf and slotAfter place each target on its grid (probegrid): probes
// of many targets are spread over the interval, and keep their slots.
var (
	phaseOf   = probegrid.Phase
	slotAfter = probegrid.SlotAfter
)

// queue is a min-heap of targets by due time (container/heap.Interface).
type queue []*target

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].key < q[j].key
}
func (q queue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}
func (q *queue) Push(x any) {
	t := x.(*target)
	t.index = len(*q)
	*q = append(*q, t)
}
func (q *queue) Pop() any {
	old := *q
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	t.index = -1
	return t
}

// hysteresis turns single probe results into state changes. The state starts
// unknown: the first answer reports up at once, the first MissesBeforeDown
// misses report down.
type hysteresis struct {
	state           int8 // 0 unknown, 1 up, -1 down
	misses, answers int  // consecutive
}

// step records one result and returns +1 when the target just became up,
// -1 when it just became down, 0 otherwise.
func (h *hysteresis) step(alive bool, missesBeforeDown, answersBeforeUp int) int {
	if alive {
		h.answers++
		h.misses = 0
		if h.state != 1 && (h.state == 0 || h.answers >= answersBeforeUp) {
			h.state = 1
			return 1
		}
		return 0
	}
	h.misses++
	h.answers = 0
	if h.state != -1 && h.misses >= missesBeforeDown {
		h.state = -1
		return -1
	}
	return 0
}
