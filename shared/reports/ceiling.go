package reports

import "fmt"

// DefaultCeilings are the most items from storage one call of each report reads. The
// store reads 500 items a Query, so they also bound the Query calls: a fiscal year's
// requests or payments at most 41 Queries, a summary 82 and a Query of budgets, an
// audit period (at most 13 month partitions) 113. They are far above what a foundation's
// year holds (about 1.2 KB an item: 20 000 items are about 24 MB and 3 000 read units)
// and leave the finance function's 29 seconds for reading, writing the file and
// handing it to S3. A report that needs more is refused, never cut off: the period is
// split with from and to.
var DefaultCeilings = map[string]int{
	"requests": 20_000, // requests of the period
	"payments": 20_000, // payments of the period
	"summary":  40_000, // requests and payments of the period, and the year's budgets
	"audit":    50_000, // audit events of the period
}

// CeilingError refuses a report that would read more items from storage than its
// ceiling in one call. Status, kind and currency filter after reading, so only a
// shorter period (from and to) makes a report read less.
type CeilingError struct {
	Report string
	Limit  int
}

func (e *CeilingError) Error() string {
	return fmt.Sprintf("the %s report would read more than %d items from storage", e.Report, e.Limit)
}

// ceiling counts the items a report reads against its limit.
type ceiling struct {
	report   string
	limit, n int
}

// items counts n more items read, and refuses the one past the limit.
func (c *ceiling) items(n int) error {
	c.n += n
	if c.n > c.limit {
		return &CeilingError{Report: c.report, Limit: c.limit}
	}
	return nil
}

// ceiling is the limit of a report: the Builder's own, or the default.
func (b Builder) ceiling(report string) int {
	if n, ok := b.Ceilings[report]; ok && n > 0 {
		return n
	}
	return DefaultCeilings[report]
}
