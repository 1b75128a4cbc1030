-- $remote_user is the user name of an "Authorization: Basic" header (no auth_basic needed),
-- $http_authorization the header as sent; without a header it is nil.
-- @header Authorization: Basic Ym9iOnMzY3JldA==
ngx.say("remote_user=", ngx.var.remote_user)
ngx.say("authorization=", ngx.var.http_authorization)
