"""Storage configs and webhooks, as the official SDK's resource table shows them."""

from avala import Client

client = Client()

for config in client.storage_configs.list():
    print("storage", config.name, config.provider)

config = client.storage_configs.create(
    name="Migration bucket",
    provider="aws_s3",
    s3_bucket_name="migration-bucket",
    s3_bucket_region="us-east-1",
    s3_access_key_id="AKIAEXAMPLEEXAMPLE12",
    s3_secret_access_key="example-secret-access-key-not-real",
)
result = client.storage_configs.test(config.uid)
print("test verified", isinstance(result.get("verified"), bool))
print("get", client.storage_configs.get(config.uid).name)
client.storage_configs.delete(config.uid)
print("deleted", all(c.uid != config.uid for c in client.storage_configs.list()))

hook = client.webhooks.create(
    target_url="https://hooks.example.com/migration", events=["export.completed"]
)
print("secret returned once", hook.secret is not None)
hook = client.webhooks.update(hook.uid, events=["export.completed", "export.failed"])
print("events", hook.events)
report = client.webhooks.test(hook.uid)
print("test keys", sorted(report)[:1] != [])
deliveries = client.webhook_deliveries.list()
print("deliveries listed", isinstance(deliveries.items, list))
client.webhooks.delete(hook.uid)
print("webhooks", [w.target_url for w in client.webhooks.list()])
client.close()
