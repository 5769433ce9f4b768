package hostprobe

import "time"

// timeHeap is a container/heap min-heap of items by a time each carries
// (a target's next probe, a flight's deadline); each item keeps its own
// index, for heap.Fix and heap.Remove.
type timeHeap[T interface {
	when() time.Time
	setIndex(int)
}] []T

func (q timeHeap[T]) Len() int           { return len(q) }
func (q timeHeap[T]) Less(i, j int) bool { return q[i].when().Before(q[j].when()) }
func (q timeHeap[T]) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].setIndex(i)
	q[j].setIndex(j)
}
func (q *timeHeap[T]) Push(x any) {
	it := x.(T)
	it.setIndex(len(*q))
	*q = append(*q, it)
}
func (q *timeHeap[T]) Pop() any {
	old := *q
	it := old[len(old)-1]
	var zero T
	old[len(old)-1] = zero
	*q = old[:len(old)-1]
	return it
}

func (t *target) when() time.Time { return t.due }
func (t *target) setIndex(i int)  { t.index = i }
func (f *flight) when() time.Time { return f.deadline }
func (f *flight) setIndex(i int)  { f.index = i }
