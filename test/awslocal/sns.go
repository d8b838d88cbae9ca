package awslocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// SNSDelivery is one notification SNS posted to a subscriber.
type SNSDelivery struct {
	TopicArn, Endpoint, MessageID, Message string
	// Status is the subscriber's HTTP status (0 when the request failed:
	// Err says why).
	Status int
	Err    string
	// Published is when Publish was called; Answered when the subscriber
	// answered.
	Published, Answered time.Time
}

type snsSubscription struct {
	arn, topic, endpoint, token string
	confirmed                   bool
}

// SNS is a local SNS topic service for HTTP/HTTPS subscribers, speaking
// SNS's delivery protocol to them: Subscribe posts a
// SubscriptionConfirmation whose SubscribeURL (served here, answering
// ConfirmSubscription's XML) the subscriber must GET; Publish then posts a
// Notification to every confirmed subscriber of the topic, in a goroutine
// of its own, with SNS's x-amz-sns-* headers and JSON body (Type,
// MessageId, TopicArn, Subject, Message, Timestamp, SignatureVersion,
// Signature, SigningCertURL, UnsubscribeURL). Messages are unsigned
// (Signature is empty): there is no AWS signing certificate here. A
// failed delivery is recorded, not retried. Publishing is a Go call, as
// EventBridge's delivery to a topic target is AWS-internal, not an API
// call a client makes.
type SNS struct {
	srv    *httptest.Server
	client *http.Client

	mu         sync.Mutex
	subs       []*snsSubscription
	deliveries []SNSDelivery
	seq        int
	wg         sync.WaitGroup
}

// StartSNS starts the service's confirmation endpoint on a free loopback
// port, stopped (after in-flight deliveries) when t ends. client posts to
// subscribers (nil: a client with a 15-second timeout), e.g. an
// httptest TLS server's client for an HTTPS subscriber.
func StartSNS(t testing.TB, client *http.Client) *SNS {
	t.Helper()
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	s := &SNS{client: client}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() { s.wg.Wait(); s.srv.Close() })
	return s
}

// TopicArn is the ARN of the topic named name in the local account.
func TopicArn(name string) string {
	return fmt.Sprintf("arn:aws:sns:%s:%s:%s", Region, AccountID, name)
}

// Subscribe subscribes an HTTP or HTTPS endpoint to topicArn and posts it
// the SubscriptionConfirmation; it returns the subscription's ARN, which
// receives notifications once the subscriber has confirmed.
func (s *SNS) Subscribe(topicArn, endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("sns: endpoint %q is not an HTTP or HTTPS URL", endpoint)
	}
	s.mu.Lock()
	s.seq++
	sub := &snsSubscription{
		arn: fmt.Sprintf("%s:%08d-0000-4000-8000-000000000000", topicArn, s.seq), topic: topicArn, endpoint: endpoint,
		token: fmt.Sprintf("token-%d", s.seq),
	}
	s.subs = append(s.subs, sub)
	s.mu.Unlock()
	body := map[string]string{
		"Type": "SubscriptionConfirmation", "MessageId": fmt.Sprintf("confirm-%d", s.seq), "Token": sub.token, "TopicArn": topicArn,
		"Message":      "You have chosen to subscribe to the topic " + topicArn + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		"SubscribeURL": s.srv.URL + "/?" + url.Values{"Action": {"ConfirmSubscription"}, "TopicArn": {topicArn}, "Token": {sub.token}}.Encode(),
		"Timestamp":    time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), "SignatureVersion": "1", "Signature": "",
		"SigningCertURL": s.srv.URL + "/SimpleNotificationService.pem",
	}
	if _, err := s.post(sub, "SubscriptionConfirmation", body["MessageId"], body); err != nil {
		return "", fmt.Errorf("sns: subscription confirmation to %s: %w", endpoint, err)
	}
	return sub.arn, nil
}

// Publish posts message to every confirmed subscriber of topicArn, each
// in its own goroutine, and returns the message ID.
func (s *SNS) Publish(topicArn, subject, message string) string {
	published := time.Now()
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("%08d-1111-4000-8000-000000000000", s.seq)
	var to []*snsSubscription
	for _, sub := range s.subs {
		if sub.topic == topicArn && sub.confirmed {
			to = append(to, sub)
		}
	}
	s.mu.Unlock()
	for _, sub := range to {
		body := map[string]string{
			"Type": "Notification", "MessageId": id, "TopicArn": topicArn, "Message": message,
			"Timestamp": published.UTC().Format("2006-01-02T15:04:05.000Z"), "SignatureVersion": "1", "Signature": "",
			"SigningCertURL": s.srv.URL + "/SimpleNotificationService.pem",
			"UnsubscribeURL": s.srv.URL + "/?" + url.Values{"Action": {"Unsubscribe"}, "SubscriptionArn": {sub.arn}}.Encode(),
		}
		if subject != "" {
			body["Subject"] = subject
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			d := SNSDelivery{TopicArn: topicArn, Endpoint: sub.endpoint, MessageID: id, Message: message, Published: published}
			status, err := s.post(sub, "Notification", id, body)
			d.Status, d.Answered = status, time.Now()
			if err != nil {
				d.Err = err.Error()
			}
			s.mu.Lock()
			s.deliveries = append(s.deliveries, d)
			s.mu.Unlock()
		}()
	}
	return id
}

// Deliveries lists the notifications posted so far, in the order their
// subscribers answered.
func (s *SNS) Deliveries() []SNSDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SNSDelivery(nil), s.deliveries...)
}

func (s *SNS) post(sub *snsSubscription, kind, id string, body map[string]string) (int, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, sub.endpoint, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
	req.Header.Set("x-amz-sns-message-type", kind)
	req.Header.Set("x-amz-sns-message-id", id)
	req.Header.Set("x-amz-sns-topic-arn", sub.topic)
	if kind == "Notification" {
		req.Header.Set("x-amz-sns-subscription-arn", sub.arn)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("subscriber answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// serve answers a SubscribeURL: ConfirmSubscription with the token
// confirms the subscription.
func (s *SNS) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("Action") != "ConfirmSubscription" {
		http.Error(w, "only ConfirmSubscription is served", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	var arn string
	for _, sub := range s.subs {
		if sub.topic == q.Get("TopicArn") && sub.token == q.Get("Token") {
			sub.confirmed, arn = true, sub.arn
		}
	}
	s.mu.Unlock()
	if arn == "" {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Subscription does not exist</Message></Error></ErrorResponse>`)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult><SubscriptionArn>%s</SubscriptionArn></ConfirmSubscriptionResult><ResponseMetadata><RequestId>awslocal</RequestId></ResponseMetadata></ConfirmSubscriptionResponse>`, html.EscapeString(arn))
}
