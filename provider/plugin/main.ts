#!/usr/bin/env node
// `pulumi-resource-tencentcloud-sg-attachment`: the provider plugin. The CLI
// starts it with the engine's address and reads the port it prints.
import { serve } from "./serve";

void serve(process.argv.slice(2));
