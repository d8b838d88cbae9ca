// Package backend opens the store a spec names, for commands that take a
// -store flag: a file path is the embedded store (package embedded), and
// dynamodb://TABLE?endpoint=URL&region=R&ttl=D&create=true a DynamoDB table
// (package dynamo). It is the one package that imports both backends;
// neither backend imports it, nor does package store.
package backend
