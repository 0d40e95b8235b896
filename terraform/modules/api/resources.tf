# The resource tree. API Gateway resources are nested (each needs its parent's id) and a resource block
# cannot refer to its own instances, so the tree is built one depth level per block (up to 6 levels,
# enforced by the routes validation).
locals {
  route_segments = { for k, r in var.routes : k => split("/", trimprefix(r.path, "/")) }

  # Every prefix of every route path: "/petstore", "/petstore/v1", "/petstore/v1/pets", ...
  paths = distinct(flatten([
    for segs in values(local.route_segments) : [for i in range(1, length(segs) + 1) : "/${join("/", slice(segs, 0, i))}"]
  ]))

  path_nodes = {
    for p in local.paths : p => {
      depth  = length(split("/", trimprefix(p, "/")))
      part   = element(split("/", p), length(split("/", p)) - 1)
      parent = length(split("/", trimprefix(p, "/"))) == 1 ? "/" : join("/", slice(split("/", p), 0, length(split("/", p)) - 1))
    }
  }

  by_depth = { for d in range(1, 7) : d => { for p, n in local.path_nodes : p => n if n.depth == d } }

  resource_ids = merge(
    { "/" = aws_api_gateway_rest_api.this.root_resource_id },
    { for p, r in aws_api_gateway_resource.level1 : p => r.id },
    { for p, r in aws_api_gateway_resource.level2 : p => r.id },
    { for p, r in aws_api_gateway_resource.level3 : p => r.id },
    { for p, r in aws_api_gateway_resource.level4 : p => r.id },
    { for p, r in aws_api_gateway_resource.level5 : p => r.id },
    { for p, r in aws_api_gateway_resource.level6 : p => r.id },
  )
}

resource "aws_api_gateway_resource" "level1" {
  for_each    = local.by_depth[1]
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "level2" {
  for_each    = local.by_depth[2]
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.level1[each.value.parent].id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "level3" {
  for_each    = local.by_depth[3]
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.level2[each.value.parent].id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "level4" {
  for_each    = local.by_depth[4]
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.level3[each.value.parent].id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "level5" {
  for_each    = local.by_depth[5]
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.level4[each.value.parent].id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "level6" {
  for_each    = local.by_depth[6]
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.level5[each.value.parent].id
  path_part   = each.value.part
}
