output "stack" {
  description = "Everything the stack exports (read by local/ and the tests through `terraform output -json`)."
  value       = module.stack
}
