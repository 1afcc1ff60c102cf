module github.com/pulumi-tencentcloud-sg-attachment/pulumi-tencentcloud-sg-attachment/sdk/go

go 1.25

require github.com/pulumi/pulumi/sdk/v3 v3.30.0
