package motostack

import (
	"context"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/localaws"
)

// defaultTTLSweep is how often a stack expires items past their TTL when
// Options.TTLSweep is zero. DynamoDB gives no schedule (deletions typically come within
// a few days); half a minute lets a developer see expiry happen without waiting.
const defaultTTLSweep = 30 * time.Second

// ttlSweep is the interval between sweeps, or a negative duration when they are off.
func (s *Stack) ttlSweep() time.Duration {
	if s.opts.TTLSweep == 0 {
		return defaultTTLSweep
	}
	return s.opts.TTLSweep
}

// tables lists the physical names of the tables the stack created.
func (s *Stack) tables() []string {
	var out []string
	for _, c := range s.created {
		if c.Type == "AWS::DynamoDB::Table" {
			out = append(out, c.Physical)
		}
	}
	return out
}

// startTTLSweeper expires the stack's items past their TTL every Options.TTLSweep, as
// DynamoDB's background process does and moto does not. Only the stack's own tables
// are swept: a moto shared with tests keeps their expired items until they sweep.
func (s *Stack) startTTLSweeper(ctx context.Context) {
	every := s.ttlSweep()
	if every < 0 || len(s.tables()) == 0 {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(every):
			}
			if _, err := s.ExpireTTL(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("expire items past their TTL", "error", err.Error())
			}
		}
	}()
}

// ExpireTTL sweeps the stack's tables now, as a sweep of the background process would:
// in each table with TTL enabled it deletes the items whose TTL attribute is a Number
// of epoch seconds in the past (no more than five years back), and their stream records
// name the DynamoDB service. It returns how many items each such table lost.
func (s *Stack) ExpireTTL(ctx context.Context) (map[string]int, error) {
	tables := s.tables()
	if len(tables) == 0 {
		return map[string]int{}, nil
	}
	expired, err := localaws.ExpireTTL(ctx, s.endpoint, tables...)
	if err != nil {
		return nil, err
	}
	for table, n := range expired {
		if n > 0 {
			s.log.Info("items expired", "table", table, "items", n)
		}
	}
	return expired, nil
}
