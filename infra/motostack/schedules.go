package motostack

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sponsorship-tracker/sponsorship-tracker/infra/motostack/schedule"
)

// startSchedules fires each enabled schedule at its times until ctx ends.
func (s *Stack) startSchedules(ctx context.Context) {
	for _, sc := range s.model.Schedules {
		if !sc.Enabled {
			continue
		}
		expr, err := schedule.Parse(sc.Expression)
		if err != nil {
			s.notes = append(s.notes, fmt.Sprintf("schedule %s: %v; it will not fire", sc.LogicalID, err))
			continue
		}
		loc := time.UTC
		if sc.Timezone != "" {
			if l, err := time.LoadLocation(sc.Timezone); err == nil {
				loc = l
			}
		}
		expr = expr.WithAnchor(time.Now())
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				next, ok := expr.Next(time.Now(), loc)
				if !ok {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Until(next)):
				}
				if _, err := s.FireSchedule(ctx, sc.LogicalID); err != nil && ctx.Err() == nil {
					s.log.Error("schedule", "schedule", sc.LogicalID, "error", err.Error())
				}
			}
		}()
	}
}

// Schedules lists the template's schedules: logical id, expression and function.
func (s *Stack) Schedules() []string {
	var out []string
	for _, sc := range s.model.Schedules {
		out = append(out, fmt.Sprintf("%s %s -> %s", sc.LogicalID, sc.Expression, sc.Function))
	}
	return out
}

// FireSchedule invokes a schedule's function now, with the payload the schedule sends:
// its Input when it has one, else a Scheduled Event.
func (s *Stack) FireSchedule(ctx context.Context, logicalID string) (*InvokeResult, error) {
	for _, sc := range s.model.Schedules {
		if sc.LogicalID != logicalID {
			continue
		}
		payload := []byte(sc.Input)
		if sc.Input == "" {
			source := "aws.scheduler"
			if sc.Rule {
				source = "aws.events"
			}
			payload, _ = json.Marshal(map[string]any{
				"version": "0", "id": newGatewayRequestID(), "detail-type": "Scheduled Event", "source": source,
				"account": accountID, "time": time.Now().UTC().Format(time.RFC3339), "region": "us-east-1",
				"resources": []string{s.resolver.Attrs[logicalID]["Arn"]}, "detail": map[string]any{},
			})
		}
		res, err := s.Invoke(ctx, sc.Function, payload)
		if err == nil && (res.FunctionError != "" || res.TimedOut) {
			err = fmt.Errorf("schedule %s: %s failed: %s", logicalID, sc.Function, res.Payload)
		}
		return res, err
	}
	return nil, fmt.Errorf("no schedule %s in the template", logicalID)
}
