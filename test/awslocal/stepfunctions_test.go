package awslocal

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

const machineARN = "arn:aws:states:us-east-1:123456789012:stateMachine:journeygate"

func TestStartExecutionIdempotency(t *testing.T) {
	var mu sync.Mutex
	started := map[string]int{}
	s := StartStepFunctions(t, func(e Execution) {
		mu.Lock()
		started[e.Name]++
		mu.Unlock()
	})
	c := s.Client()
	ctx := context.Background()
	start := func(name, input string) (*sfn.StartExecutionOutput, error) {
		return c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machineARN), Name: aws.String(name), Input: aws.String(input)})
	}
	first, err := start("hook-1", `{"a":1}`)
	if err != nil {
		t.Fatal(err)
	}
	again, err := start("hook-1", `{"a":1}`)
	if err != nil {
		t.Fatalf("same name and input while running must succeed: %v", err)
	}
	if aws.ToString(again.ExecutionArn) != aws.ToString(first.ExecutionArn) {
		t.Errorf("repeat returned %s, want %s", aws.ToString(again.ExecutionArn), aws.ToString(first.ExecutionArn))
	}
	var exists *sfntypes.ExecutionAlreadyExists
	if _, err := start("hook-1", `{"a":2}`); !errors.As(err, &exists) {
		t.Errorf("same name, other input: want ExecutionAlreadyExists, got %v", err)
	}
	s.Finish("hook-1", "SUCCEEDED")
	if _, err := start("hook-1", `{"a":1}`); !errors.As(err, &exists) {
		t.Errorf("same name after it finished: want ExecutionAlreadyExists, got %v", err)
	}
	var invalid *sfntypes.InvalidName
	if _, err := start("bad name!", `{}`); !errors.As(err, &invalid) {
		t.Errorf("bad name: want InvalidName, got %v", err)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: first.ExecutionArn})
	if err != nil || d.Status != sfntypes.ExecutionStatusSucceeded {
		t.Errorf("describe: %v %v", d, err)
	}
	if got := len(s.Executions()); got != 1 {
		t.Errorf("%d executions recorded, want 1", got)
	}
	// onStart runs in its own goroutine: wait for it, bounded.
	for i := 0; i < 1000; i++ {
		mu.Lock()
		n := started["hook-1"]
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if started["hook-1"] != 1 {
		t.Errorf("onStart called %d times for hook-1, want 1", started["hook-1"])
	}
}
